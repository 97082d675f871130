"""Weekly digests: figures from the review store, the trend chart and its text fallback."""
