# scripts/lib.sh - what scripts/bench and scripts/test share: Debian packages, installed when
# missing (so both commands work as root on a fresh Debian 12), and the build.
# Sourced, not run.

# Packages by purpose.  Everything comes from Debian; nothing from PyPI.
KMB_PKGS_BUILD="cmake make gcc g++ pkg-config git libbenchmark-dev libhwloc-dev libnuma-dev libyaml-dev
  libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev"
KMB_PKGS_REPORT="python3 python3-matplotlib python3-pil python3-yaml python3-scipy"
# compare.py (libbenchmark-tools) needs scipy and numpy; the report's browser test, chromium;
# scripts/numa-guest's multi-node guests, qemu, a kernel to boot and a static busybox.
KMB_PKGS_TEST="libcmocka-dev libbenchmark-tools python3-scipy python3-numpy python3-pil chromium
  qemu-system-x86 linux-image-amd64 busybox-static"
# kmbench record (and its test, cli_trace_record) records the kernel's kmem tracepoints with
# Debian's perf.
KMB_PKGS_TEST="$KMB_PKGS_TEST linux-perf"
# tests/cli/slurm.sh starts a private one-node Slurm cluster to test `kmbench slurm`.
KMB_PKGS_TEST="$KMB_PKGS_TEST slurmctld slurmd slurm-client munge"
# tests/cli/preload.sh runs real programs on libkmbench-preload.so: sqlite3, git, xz, gzip
# (python3 is the report's).
KMB_PKGS_TEST="$KMB_PKGS_TEST sqlite3 git xz-utils gzip"
# scripts/instructions counts instructions per alloc+free pair with valgrind's callgrind; the
# tests run it too when valgrind is there.  The debug and sanitize builds need its headers
# (valgrind/memcheck.h: the slab objects as memcheck blocks, KMB_VALGRIND in CMake).
KMB_PKGS_PROFILE="valgrind"
# scripts/fuzz builds the fuzzers with clang and its libFuzzer (compiler-rt).
KMB_PKGS_FUZZ="clang libclang-rt-14-dev"

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

# What a configure that cannot find something names, and the Debian package that has it
# (NAME:PACKAGE): pkg-config modules, find_package names, find_library/find_path variables,
# compilers.  cmocka's absence needs none: tests/CMakeLists.txt names libcmocka-dev itself.
KMB_PKG_HINTS="hwloc:libhwloc-dev numa:libnuma-dev NUMA_LIBRARY:libnuma-dev
  NUMA_INCLUDE_DIR:libnuma-dev benchmark:libbenchmark-dev cmocka:libcmocka-dev
  PkgConfig:pkg-config CMAKE_C_COMPILER:gcc CMAKE_CXX_COMPILER:g++"

# kmb_configure_errors LOG - the lines of a failed configure's LOG that name the cause: every
# "CMake Error" message, the modules pkg-config did not find, then one hint per missing thing
# with its Debian package and whether that is installed.  The last lines when none match.
kmb_configure_errors() {
	local log=$1 lines names name hint pkg env=""
	lines=$(awk '/^CMake Error/ { msg = 1 }
		msg && /^$/ { msg = 0; print ""; next }
		msg || /^-- .*(not found|No package .* found|Could NOT find)/' "$log" | head -n 40)
	[ -n "$lines" ] && echo "$lines" || tail -n 20 "$log"
	names=$(sed -n -E -e "s/.*Package '([^']+)', required by .*not found.*/\1/p" \
		-e "s/.*No package '([^']+)' found.*/\1/p" \
		-e 's/.*Could NOT find ([A-Za-z0-9_]+).*/\1/p' \
		-e 's/.*provided by "([^"]+)".*/\1/p' \
		-e 's/.*Could not find ([A-Za-z0-9_]+) using.*/\1/p' \
		-e 's/.*No (CMAKE_C(XX)?_COMPILER) could be found.*/\1/p' "$log" | sort -u)
	[ -n "${PKG_CONFIG_LIBDIR+set}" ] && env+=" PKG_CONFIG_LIBDIR=$PKG_CONFIG_LIBDIR"
	[ -n "${PKG_CONFIG_PATH:-}" ] && env+=" PKG_CONFIG_PATH=$PKG_CONFIG_PATH"
	for name in $names; do
		pkg=""
		for hint in $KMB_PKG_HINTS; do
			[ "${hint%%:*}" = "$name" ] && pkg=${hint#*:}
		done
		[ -n "$pkg" ] || continue
		if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
			echo "kmbench: $name is in the Debian package $pkg, which is installed but was" \
				"not found${env:+ (with$env)}"
		else
			echo "kmbench: $name is in the Debian package $pkg, which is not installed" \
				"(apt-get install $pkg)"
		fi
	done
}

# kmb_build_errors LOG - the lines of a failed build's LOG that name the cause: the compiler's
# and the linker's errors with gcc's two lines of context (the source line and the caret), and
# CMake's errors where the build configured again.  The last lines when none match.
kmb_build_errors() {
	local lines
	lines=$(grep -E -A2 ': (fatal )?error:|undefined reference to|collect2: error|^CMake Error|No rule to make target|No such file or directory' "$1" |
		grep -v '^--$' | head -n 40)
	[ -n "$lines" ] && echo "$lines" || tail -n 20 "$1"
}

# kmb_build PRESET - configure and build build/PRESET.  Quiet when it works (one line); when it
# does not, returns 1 and prints the lines that name the cause and the path of the full log,
# build/PRESET.log, which holds the output of both steps.
#
# It configures every time.  `cmake --preset` takes a fraction of a second in a configured tree, and it
# is the only check that cannot be fooled: a configure that failed leaves
# build/PRESET/CMakeCache.txt without a Makefile (so "configure once" never configured again),
# and a changed preset (release's BUILD_TESTING=OFF) reaches an existing cache only this way.
kmb_build() {
	local preset=$1 log
	mkdir -p build || { echo "kmbench: cannot create $PWD/build" >&2; return 1; }
	log=$PWD/build/$preset.log
	echo "kmbench: building $preset in build/$preset (log: build/$preset.log)"
	echo "\$ cmake --preset $preset" >"$log"
	if ! cmake --preset "$preset" >>"$log" 2>&1; then
		echo "kmbench: configuring build/$preset failed:" >&2
		kmb_configure_errors "$log" >&2
		echo "kmbench: the whole output is in $log" >&2
		return 1
	fi
	echo "\$ cmake --build --preset $preset" >>"$log"
	if ! cmake --build --preset "$preset" >>"$log" 2>&1; then
		echo "kmbench: building build/$preset failed:" >&2
		kmb_build_errors "$log" >&2
		echo "kmbench: the whole output is in $log" >&2
		return 1
	fi
}
