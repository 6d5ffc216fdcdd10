FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# WeasyPrint needs Pango; Chinese PDFs need a CJK font.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY autofin autofin
COPY origination origination
COPY servicing servicing
COPY risk risk
COPY dealers dealers
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build DATABASE_URL=postgres://x@localhost/x python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "autofin.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
