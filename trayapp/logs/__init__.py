"""Program output: capture (pumps, redaction), rotation, reading back, the keeper, attached services' logs."""
