"""Pure: reading answers, verdicts per field, misconceptions, worked solutions."""
