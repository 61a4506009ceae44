#!/bin/bash
# Install the Debian 12 packages the build and the test suites need; the shared install
# step of scripts/run.sh and scripts/test.sh (TESTING.md "CI machine set-up").
#
#   scripts/install-deps.sh            # as root: install what is missing, if anything
#   scripts/install-deps.sh --check    # list what is missing; exit 1 if anything is
#   CTD_EXTRA_PACKAGES="keepalived" scripts/install-deps.sh   # more packages
#
# Only packages that dpkg-query does not report as installed are considered; when none
# is missing, apt is not run at all. Otherwise: one `apt-get update`, then one
# non-interactive `apt-get install --no-install-recommends`. A /usr/sbin/policy-rc.d that
# exits 101 keeps package scripts (conntrackd ...) from starting daemons; it is created
# only if absent and removed afterwards. Not root with packages missing: prints them and
# exits 1.
set -euo pipefail

PACKAGES=(
    meson ninja-build g++ pkg-config
    libmnl-dev nlohmann-json3-dev libsystemd-dev libsdbus-c++-dev libsdbus-c++-bin
    libgtest-dev libgmock-dev
    dbus-daemon polkitd
    conntrack conntrackd nftables iproute2 util-linux
    python3-dbus systemd scdoc libglib2.0-bin
    libnetfilter-conntrack-dev time
)
if [[ -n "${CTD_EXTRA_PACKAGES:-}" ]]; then
    read -r -a extra <<<"$CTD_EXTRA_PACKAGES"
    PACKAGES+=("${extra[@]}")
fi

check_only=0
case ${1:-} in
--check) check_only=1 ;;
"") ;;
-h | --help)
    sed -n '2,14p' "$0"
    exit 0
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

log() { printf 'install-deps: %s\n' "$*" >&2; }

if ! command -v dpkg-query >/dev/null 2>&1; then
    log "dpkg-query not found: not a Debian system; install by hand: ${PACKAGES[*]}"
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    # "install ok installed" only; half-installed or config-files count as missing.
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    ((check_only)) || log "all ${#PACKAGES[@]} packages present"
    exit 0
fi
if ((check_only)); then
    printf '%s\n' "${missing[@]}"
    exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
    log "missing packages (run as root to install them): ${missing[*]}"
    log "  sudo apt-get install --no-install-recommends ${missing[*]}"
    exit 1
fi

policy=${CTD_POLICY_RC_D:-/usr/sbin/policy-rc.d}  # override only for testing this script
made_policy=0
cleanup() {
    if ((made_policy)); then
        rm -f "$policy"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# temporary, from ctd scripts/install-deps.sh: no daemon starts\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
fi

log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
