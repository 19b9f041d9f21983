"""Haven's own date formats where Django's defaults mislead its readers (FORMAT_MODULE_PATH)."""
