#!/usr/bin/env bash
# Back up Parcelfront: a PostgreSQL dump plus every media file (local folder or S3 bucket), with checksums.
#
#   deploy/backup.sh /var/backups/parcelfront        -> prints the folder it wrote, e.g. .../parcelfront-20261201T220000Z
#
# Reads DATABASE_URL and the media settings (MEDIA_S3_* or PARCELFRONT_VAR_DIR) from the environment, like the
# services do (systemd: EnvironmentFile=/etc/parcelfront/env). Needs pg_dump of the server's major version or newer.
# Safe while everything runs: pg_dump reads one consistent snapshot; media files are only ever added or deleted.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PARCELFRONT_PYTHON:-.venv/bin/python}"
dest="${1:?usage: deploy/backup.sh BACKUP_DIR}"
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database to back up}"

target="$dest/parcelfront-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
chmod 700 "$target"  # customers' personal data
pg_dump --format=custom --no-owner --no-privileges --file="$target/database.dump" "$DATABASE_URL"
"$PYTHON" manage.py media_backup export "$target/media" >&2
(
  cd "$target"
  sha256sum database.dump > SHA256SUMS
  find media -type f -print0 | sort -z | xargs -0 -r sha256sum >> SHA256SUMS
)
echo "$target"
