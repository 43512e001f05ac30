# The web process of meet (HTTP + WebSocket in one daphne process).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MEET_VAR_DIR=/var/lib/meet
WORKDIR /app
COPY pyproject.toml README.md ./
COPY meet meet
COPY rooms rooms
COPY scheduling scheduling
COPY signaling signaling
COPY streaming streaming
COPY templates templates
COPY static static
COPY locale locale
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/meet meet \
    && mkdir -p /var/lib/meet && chown meet /var/lib/meet
USER meet
EXPOSE 8000
# Migrations and the province directory are idempotent: safe on every start.
CMD ["sh", "-c", "meet setup --no-demo && meet collectstatic --noinput -v0 && HOST=0.0.0.0 meet serve"]
