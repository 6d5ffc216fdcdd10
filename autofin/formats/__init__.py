"""Date formats, one for every page, PDF and message: ISO 2026-12-07 (FORMAT_MODULE_PATH).

Why ISO rather than 2026年12月7日: it was already what nearly every template printed
(`|date:"Y-m-d"`), it reads the same in Chinese and English pages, lines up in tables, and is
what the CSV exports, the API and the SMS texts (str(date)) carry. A date printed without a
format (`{{ d }}`, `{% blocktranslate with d=… %}`) follows these too, so no page falls back
to Django's locale default (2026年12月7日 in Chinese, Dec. 7, 2026 in English)."""
