"""Pure: question kinds, variant parameters from a seed, expected answers from a trace."""
