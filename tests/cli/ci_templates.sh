#!/bin/bash
# The CI templates (docs/ci/): check_ci_templates.py passes on them, and fails, naming the
# problem, on copies with a fault planted in each: a script the repository lacks, a kmbench
# command `kmbench help` does not list, another image, no artifact of results/ci/ (nor of its
# screenshots/), YAML that does not parse.  Skipped (77) where Debian's python3-yaml is missing.
set -uo pipefail
kmbench=$1 src=$2
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	echo "skipped: /usr/bin/python3 has no yaml (Debian package python3-yaml; scripts/test" \
		"installs it)"
	exit 77
fi
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check=("/usr/bin/python3" "$(dirname "$0")/check_ci_templates.py" "$kmbench" "$src")
gh=$src/docs/ci/github-actions.yml gl=$src/docs/ci/gitlab-ci.yml

out=$("${check[@]}" 2>&1)
rc=$?
ok "the templates pass: $out" test "$rc" -eq 0
echo "$out"

# plant NAME FILE SED: a copy of FILE with SED applied, in $tmp/NAME.yml (the edit must change it)
plant() {
	sed "$3" "$2" >"$tmp/$1.yml" && ! cmp -s "$2" "$tmp/$1.yml"
}
plant gh-script "$gh" 's|run: scripts/test$|run: scripts/tests|'
must_fail "a script the repository lacks (GitHub)" "scripts/tests is not an executable script" -- \
	"${check[@]}" "$tmp/gh-script.yml"
plant gl-script "$gl" 's|- scripts/bench$|- scripts/bench \&\& scripts/nosuch --x|'
must_fail "a script the repository lacks (GitLab)" "scripts/nosuch is not an executable script" -- \
	"${check[@]}" "$tmp/gl-script.yml"
plant gl-sub "$gl" 's|kmbench env$|kmbench bisect results/runs/x|'
must_fail "a kmbench command that kmbench help does not list" \
	"kmbench 'bisect' is not a command of kmbench help" -- "${check[@]}" "$tmp/gl-sub.yml"
plant gh-image "$gh" 's|image: debian:12|image: ubuntu:22.04|'
must_fail "another image" "image 'ubuntu:22.04', not Debian 12" -- "${check[@]}" "$tmp/gh-image.yml"
plant gl-art "$gl" '/- results\/ci\/$/d'
must_fail "no artifact of results/ci/" "does not keep results/ci/" -- \
	"${check[@]}" "$tmp/gl-art.yml"
plant gh-shots "$gh" 's|^            results/ci/$|            results/ci/run/|'
must_fail "no artifact of the report's screenshots" \
	"does not keep results/ci/screenshots/ (the report's screenshots" -- \
	"${check[@]}" "$tmp/gh-shots.yml"
plant gh-test "$gh" '/run: scripts\/test$/d; /scripts\/test (tests/d'
must_fail "one of the README's two commands left out" "does not run scripts/test" -- \
	"${check[@]}" "$tmp/gh-test.yml"
plant gh-yaml "$gh" 's|^jobs:$|jobs: [|'
must_fail "YAML that does not parse" "gh-yaml.yml: while parsing" -- \
	"${check[@]}" "$tmp/gh-yaml.yml"
kmb_test_end
