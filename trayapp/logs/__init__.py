"""Program output: capture (pumps, redaction), rotation, reading back, the keeper, attached services' logs;
for the dashboard, levels (what a line says it is), pages (cursors across rotation) and search."""
