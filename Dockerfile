# The image behind docker-compose.yml: the Django app, its static files built in, run as a non-root user.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /src/node_modules ./node_modules
RUN SECRET_KEY=build-only python manage.py compilemessages --ignore 'node_modules/*' \
    && SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --uid 1000 coalgov && mkdir -p /app/media && chown coalgov /app/media
USER coalgov
EXPOSE 8000
# gthread, 2 workers × 4 threads behind the nginx of docker-compose.yml, which buffers request bodies: why in
# docs/fieldwork.md "Serving phones". The longest request line gunicorn takes, as long as nginx passes: a longer
# address is refused by nginx in Chinese (deploy/nginx.conf), none meets gunicorn's English 400.
CMD ["gunicorn", "coalgov.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", \
     "--threads", "4", "--timeout", "60", "--limit-request-line", "8190"]
