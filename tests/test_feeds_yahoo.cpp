// placeholder, filled in by this issue
