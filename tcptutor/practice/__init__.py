"""What to ask next: mastery per topic and per misconception, with spacing (pure)."""
