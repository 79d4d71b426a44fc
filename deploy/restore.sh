#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into the database at DATABASE_URL and the configured media storage.
#
#   deploy/restore.sh /var/backups/parcelfront/parcelfront-20261201T220000Z
#
# Stop web, workers and beat first (systemctl stop parcelfront.target). The checksums are verified before anything
# is touched; the database is restored in one transaction (all or nothing), replacing the objects the dump holds.
# Then run `manage.py migrate` if the code is newer than the backup, and start the services again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PARCELFRONT_PYTHON:-.venv/bin/python}"
source_dir="${1:?usage: deploy/restore.sh BACKUP_FOLDER}"
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database to restore into}"

[ -f "$source_dir/database.dump" ] || { echo "error: $source_dir/database.dump is missing" >&2; exit 2; }
(cd "$source_dir" && sha256sum --check --quiet SHA256SUMS) || { echo "error: the backup is damaged (checksums differ)" >&2; exit 2; }
pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$source_dir/database.dump"
mkdir -p "$source_dir/media"
"$PYTHON" manage.py media_backup import "$source_dir/media" >&2
echo "restored $source_dir"
