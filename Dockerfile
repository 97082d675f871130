# reviewbot: `docker build -t reviewbot .` then `docker run --env-file .env -p 3000:3000 reviewbot`
# (or `docker compose up` with compose.yaml for the app and PostgreSQL). See README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 reviewbot \
    && mkdir /data \
    && chown reviewbot:reviewbot /data

WORKDIR /app
# The dependencies first, from the lock file, in their own layer: a change to the source
# rebuilds only the layers below.
COPY requirements/lock.txt ./requirements/lock.txt
RUN pip install -r requirements/lock.txt
# Then the app itself (no sandbox, tests or benchmarks in the image).
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-deps . && pip check

USER reviewbot
WORKDIR /home/reviewbot
# Without DATABASE_URL the SQLite file lives in /data (mount a volume there to keep it);
# compose.yaml sets a PostgreSQL URL instead.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/reviewbot.db
VOLUME ["/data"]
EXPOSE 3000

# GET /healthz answers 503 when the database is unreachable; urlopen raises on it (exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

# Exec form: reviewbot is PID 1 and gets SIGTERM, on which it stops cleanly.
CMD ["reviewbot", "serve"]
