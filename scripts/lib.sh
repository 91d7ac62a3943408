# scripts/lib.sh - what scripts/bench and scripts/test share: Debian packages, installed when
# missing (so both commands work as root on a fresh Debian 12), and the build.
# Sourced, not run.

# Packages by purpose.  Everything comes from Debian; nothing from PyPI.
KMB_PKGS_BUILD="cmake make gcc g++ pkg-config git libbenchmark-dev libhwloc-dev libnuma-dev
  libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev"
KMB_PKGS_REPORT="python3 python3-matplotlib"
# compare.py (libbenchmark-tools) needs scipy and numpy; the report's browser test, chromium;
# scripts/numa-guest's multi-node guests, qemu, a kernel to boot and a static busybox.
KMB_PKGS_TEST="libcmocka-dev libbenchmark-tools python3-scipy python3-numpy python3-pil chromium
  qemu-system-x86 linux-image-amd64 busybox-static"
# scripts/instructions counts instructions per alloc+free pair with valgrind's callgrind; the
# tests run it too when valgrind is there.
KMB_PKGS_PROFILE="valgrind"

# kmb_need_packages PKG... - install the ones that are missing, quietly; fail loudly.
kmb_need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "kmbench: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
		return 1
	fi
	echo "kmbench: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null ||
		{ echo "kmbench: apt-get install ${missing[*]} failed" >&2; return 1; }
}

# kmb_build PRESET - configure (once) and build build/PRESET.
kmb_build() {
	if [ ! -f "build/$1/CMakeCache.txt" ]; then
		cmake --preset "$1" >/dev/null || return 1
	fi
	cmake --build --preset "$1" 2>&1 | grep -v "^\[\|^Consolidate\|Built target" || true
	[ "${PIPESTATUS[0]}" -eq 0 ]
}
