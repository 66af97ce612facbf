"""Pure: Markdown lessons -> Lesson and Question values; every problem carries file:line."""
