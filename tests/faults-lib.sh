# tests/faults-lib.sh: sweeps of PKCS#11 faults through tests/faulty-pkcs11.so, shared by
# tests/faults.sh and tests/faults-admin.sh.  Source it after tests/lib.sh.
#
#   faults_setup          a private SoftHSMv2 directory behind the faulty module
#   fault_snapshot NAME   copies the test's state: $T/tokens and the dirs of FAULT_DIRS
#   fault_restore NAME    puts that copy back, so each call position starts from one state
#   fault_count NAME      runs NAME_run once without faults, its calls logged in
#                         $T/NAME.calls; ok when it succeeds
#   fault_sweep NAME [STRIDE]  every call position of $T/NAME.calls fails in turn (below)
#   tree_state DIR...     each file and directory under DIR (relative to $T) with its type
#                         and mode, and each file's size and modification time: equal
#                         states mean no file was added, removed (temp files too) or written
#                         (the audit log: none but a FAILURE line, see audit_kept)
#   objects LABEL [PIN]   the objects of token LABEL as pkcs11-tool lists them (logged in
#                         as the user with PIN), one line each, sorted
#
# fault_sweep NAME, for each code of FAULT_RVS and each of its call positions:
#   NAME_reset            puts the state before the command back (usually fault_restore)
#   NAME_run              the command through $FAULTY_MODULE; its stdout and stderr go to
#                         $T/out, its exit code to fault_rc
#   NAME_after I          the command's own checks after the run that failed call I
#                         (fault_called is its name, $T/fault.calls the run's calls,
#                         fault_reached CALL tells whether it got to CALL): what is left,
#                         and the rerun without faults; fault_bad WHY records each problem
# and judges every run first: a failure in the cleanup after the work (a C_Logout,
# C_CloseSession or C_Finalize followed by nothing else) must exit 0 with a "warning: CALL
# ... failed" line; a call the tool made again at once (a destroy it retries) may exit 0,
# its work done; any other failure must exit 1 or 3 (never 0, 2, or a signal) with exactly
# one error line naming the call or the CKR code.  No run may print a sanitizer report.
# One ok or not_ok per code.
#
# The first code of FAULT_RVS (CKR_DEVICE_ERROR) fails every position; the others every
# STRIDE'th (default 3), staggered, so that together they cover a spread; FAULT_ALL=1 in the
# environment fails every code at every position.
# FAULT_ONLY="NAME..." runs only those sweeps (the others are skipped), for debugging.

FAULT_RVS=${FAULT_RVS:-"CKR_DEVICE_ERROR CKR_SESSION_HANDLE_INVALID CKR_DEVICE_REMOVED"}
# make memcheck: one error code; the others take the same paths and would triple the runs.
[ -z "${P11BYOK_MEMCHECK:-}" ] || FAULT_RVS=CKR_DEVICE_ERROR
FAULT_ALL=${FAULT_ALL:-}
FAULT_DIRS=${FAULT_DIRS:-}
FAULT_ONLY=${FAULT_ONLY:-}

faults_setup() {
	softhsm_setup
	[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
	[ -f "$FAULTY_MODULE" ] || skip_all "tests/faulty-pkcs11.so not built"
	export P11FAULT_MODULE=$SOFTHSM2_MODULE
	unset P11FAULT_AT P11FAULT_RV P11FAULT_LOG
}

# Spawning processes is most of a sweep's cost besides the commands themselves: these
# helpers use few.  tree_state changes to $T: call it in $(...).
tree_state() {
	cd "$T" || return
	find "$@" \( $AUDIT_FILES \) -prune -o \( -type d -printf '%p d %m\n' \) -o \
		-printf '%p %y %m %s %T@\n' 2>&1 | LC_ALL=C sort
	audit_kept "$@"
}

objects() {
	local login=()
	[ -n "${2:-}" ] && login=(--login --pin "$2")
	"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label "$1" "${login[@]}" -O \
		2>/dev/null | awk '/^Using slot/ { next }
			/^[^ ]/ { if (o != "") print o; o = $0; next }
			{ sub(/^ +/, ""); o = o " | " $0 }
			END { if (o != "") print o }' | LC_ALL=C sort
}

fault_snapshot() {
	rm -rf "$T/snap-$1"
	mkdir "$T/snap-$1"
	(cd "$T" && cp -a tokens $FAULT_DIRS "snap-$1/")
}

fault_restore() {
	local d paths=("${T:?}/tokens")
	for d in $FAULT_DIRS; do paths+=("$T/$d"); done
	rm -rf "${paths[@]}" && cp -a "$T/snap-$1/." "$T/"
}

fault_count() {
	local name=$1
	rm -f "$T/$name.calls"
	"${name}_reset"
	P11FAULT_LOG=$T/$name.calls "${name}_run" >"$T/out" 2>&1
	fault_rc=$?
	if [ "$fault_rc" -eq 0 ] && [ -s "$T/$name.calls" ]; then
		ok "$name without faults makes $(wc -l <"$T/$name.calls") PKCS#11 calls"
	else
		not_ok "$name without faults (exit $fault_rc)"; diag "$T/out"
		return 1
	fi
}

# fault_bad WHY: records a problem of the current run.
fault_bad() { fault_problems="$fault_problems $fault_rv@$fault_at($fault_called: $*)"; }

# fault_reached CALL: whether this run called CALL before or at the failed call.
fault_reached() {
	awk -v call="$1" '$2 == call { found = 1 } / FAULT$/ { exit !found }' "$T/fault.calls"
}

# Reads a run: its calls ($T/fault.calls), then what it printed ($T/out).  Prints the call
# that failed ("-" when the run made fewer calls: which object a search returns first may
# differ from run to run, and with it the calls that follow), whether only cleanup calls
# came after it, the error lines, whether the call or the code is named, whether a warning
# names the call, and whether a sanitizer spoke.
# The clean run's calls (the first file) say whether the failed position is cleanup: a
# C_Logout before the next login (a transfer logs the user out for the SO) is not, though
# after its failure nothing but cleanup may follow.
fault_awk='
FILENAME == ARGV[1] { clean[FNR] = $2; next }
FILENAME == ARGV[2] && / FAULT$/ { call = $2; at = FNR; c = 1; for (i = FNR; i in clean; i++)
	if (clean[i] !~ /^C_(Logout|CloseSession|Finalize)$/) { t = 1; break } }
FILENAME == ARGV[2] && at && FNR > at && FNR <= at + 3 && $2 == call { r = 1 }
FILENAME == ARGV[2] && c && $2 !~ /^C_(Logout|CloseSession|Finalize)$/ { c = 0; t = 1 }
FILENAME == ARGV[2] { next }
/^p11byok( [a-z-]+)?: / && !/^p11byok: warning: / { e++ }
call != "" && index($0, call) || index($0, rv) { n = 1 }
call != "" && /^p11byok: warning: / && index($0, call " ") && /failed/ { w = 1 }
/Sanitizer|runtime error/ { s = 1 }
END { print (call == "" ? "-" : call), (call != "" && !t), e + 0, n + 0, w + 0, s + 0, r + 0 }'

# fault_run NAME: one run with call fault_at failing with fault_rv, judged; 1 when the run
# made fewer calls than that.
fault_run() {
	local cleanup errors named warned sanitizer retried
	"${1}_reset"
	rm -f "$T/fault.calls"
	P11FAULT_LOG=$T/fault.calls P11FAULT_AT=$fault_at P11FAULT_RV=$fault_rv "${1}_run" \
		>"$T/out" 2>&1
	fault_rc=$?
	read -r fault_called cleanup errors named warned sanitizer retried < <(awk \
		-v rv="$fault_rv" "$fault_awk" "$T/$1.calls" "$T/fault.calls" "$T/out")
	[ "$fault_called" != - ] || return 1
	if [ "$sanitizer" -eq 1 ]; then
		fault_bad "sanitizer report"
	elif [ "$cleanup" -eq 1 ]; then
		[ "$fault_rc" -eq 0 ] || fault_bad "exit $fault_rc after the work was done"
		[ "$warned" -eq 1 ] || fault_bad "no warning naming $fault_called"
	elif [ "$fault_rc" -eq 0 ] && [ "$retried" -eq 1 ]; then
		:	# the tool asked again and the work was done: the _after checks judge it
	elif [ "$fault_rc" -ne 1 ] && [ "$fault_rc" -ne 3 ]; then
		fault_bad "exit $fault_rc, want 1 or 3"
	elif [ "$errors" -ne 1 ]; then
		fault_bad "$errors error lines, want 1"
	elif [ "$named" -ne 1 ]; then
		fault_bad "the message names neither $fault_called nor $fault_rv"
	fi
	"${1}_after" "$fault_at"
}

# FAULT_THIN=K (tests/on-softhsm27.sh sets 3): a second module sweeps every Kth position of
# what the first sweeps, the first code included; FAULT_ALL=1 still sweeps all.
FAULT_THIN=${FAULT_THIN:-1}

fault_sweep() {
	local name=$1 stride=${2:-3} j=0 i total runs positions first=1
	[ "$FAULT_THIN" -gt 1 ] && stride=$((stride * FAULT_THIN)) first=$FAULT_THIN
	[ -n "$FAULT_ALL" ] && stride=1 first=1
	if [ -n "$FAULT_ONLY" ] && ! grep -qw "$name" <<<"$FAULT_ONLY"; then
		skip "$name: not in FAULT_ONLY"
		return
	fi
	total=$(wc -l <"$T/$name.calls")
	for fault_rv in $FAULT_RVS; do
		fault_problems= positions= runs=0
		for i in $(seq 1 "$total"); do
			if { [ "$j" -eq 0 ] && [ $((i % first)) -eq 0 ]; } || [ "$stride" -le 1 ] ||
				{ [ "$j" -gt 0 ] && [ $((i % stride)) -eq $((j % stride)) ]; }; then
				positions="$positions $i"
			fi
		done
		for fault_at in $positions; do
			fault_run "$name" && runs=$((runs + 1))
		done
		if [ -z "$fault_problems" ]; then
			ok "$name: $runs of $total call positions fail cleanly with $fault_rv"
		else
			not_ok "$name under faults:$fault_problems"
		fi
		j=$((j + 1))
	done
}

# The other two failure modes of issue 17, where the module did act: a lost reply (the call
# did its work, the caller sees FAULT_RV) and a crash at the call (the process killed after
# the module acted, before it saw the reply).  Nothing can be undone by the failed run
# itself here; the promise is that running the same command again finishes the work:
#
# fault_resume_sweep NAME [STRIDE]: for each mode of FAULT_RESUME_MODES (after kill) and
# every STRIDE'th call position of $T/NAME.calls (default 1; FAULT_ALL=1: every one),
#   NAME_reset; NAME_run with the fault (any exit; no sanitizer report); unless that run
#   exited 0, NAME_run again without faults, up to three times, until it exits 0 (a rerun
#   that names a discard has it done: discard_if_named, lib.sh); then
#   NAME_done, the command's check of the finished state, calls fault_bad for each
#   problem.
# One ok or not_ok per mode, saying how many positions were survived.
FAULT_RESUME_MODES=${FAULT_RESUME_MODES:-"after kill"}

fault_resume_sweep() {
	local name=$1 stride=${2:-1} total i mode runs tries rc
	stride=$((stride * FAULT_THIN))
	[ -n "$FAULT_ALL" ] && stride=1
	if [ -n "$FAULT_ONLY" ] && ! grep -qw "$name" <<<"$FAULT_ONLY"; then
		skip "$name: not in FAULT_ONLY"
		return
	fi
	total=$(wc -l <"$T/$name.calls")
	for mode in $FAULT_RESUME_MODES; do
		fault_problems= runs=0 fault_rv=CKR_DEVICE_ERROR
		for i in $(seq 1 "$stride" "$total"); do
			fault_at=$i
			"${name}_reset"
			rm -f "$T/fault.calls"
			P11FAULT_LOG=$T/fault.calls P11FAULT_AT=$i P11FAULT_MODE=$mode \
				"${name}_run" >"$T/out" 2>&1
			rc=$?
			fault_called=$(awk '/ FAULT$/ { print $2 }' "$T/fault.calls")
			[ -n "$fault_called" ] || continue	# a shorter run: not this position
			runs=$((runs + 1))
			grep -qE 'Sanitizer|runtime error' "$T/out" && fault_bad "sanitizer report"
			# A run that finished all the same (a destroy retried, a cleanup call) is
			# judged as it is: its command is not run twice.
			for tries in 1 2 3; do
				[ "$rc" -eq 0 ] && break
				"${name}_run" >"$T/rerun" 2>&1
				rc=$?
				grep -qE 'Sanitizer|runtime error' "$T/rerun" &&
					fault_bad "sanitizer report in the rerun"
				[ "$rc" -eq 2 ] && discard_if_named "$T/rerun" "${FAULT_DISCARD[@]}"
			done
			if [ "$rc" -ne 0 ]; then
				fault_bad "$mode: three reruns failed: $(grep -v '^p11byok: warning' \
					"$T/rerun" | grep -m1 '^p11byok')"
				continue
			fi
			"${name}_done"
		done
		if [ -z "$fault_problems" ]; then
			ok "$name: $runs of $total call positions survived in mode $mode (the rerun finished the work)"
		else
			not_ok "$name in mode $mode:$fault_problems"
		fi
	done
}

# objects_shape LABEL PIN: the token's objects as class, label and ID only (no key values),
# to compare a finished state with the one a clean run leaves.
objects_shape() {
	"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label "$1" --login --pin "$2" -O \
		2>/dev/null | awk '/^[^ ]/ { if (o != "") print o; o = $1 " " $2; next }
			/^ *(label|ID):/ { sub(/^ +/, ""); o = o " | " $0 }
			END { if (o != "") print o }' | LC_ALL=C sort
}

# kill_sweep NAME: a crash between two file-system steps, at every one: each step of
# NAME_run (an open for writing, a link, a rename, an unlink; tests/killpoint.so's
# KILLPOINT=step:N, SoftHSMv2's own token files aside) in turn is preceded by a SIGKILL;
# then NAME_run again until it exits 0 (at most three times) and NAME_done, as
# fault_resume_sweep.  One ok or not_ok.
kill_sweep() {
	local name=$1 total i runs=0 tries rc
	if [ -n "$FAULT_ONLY" ] && ! grep -qw "$name" <<<"$FAULT_ONLY"; then
		skip "$name: not in FAULT_ONLY"
		return
	fi
	export KILLPOINT_EXCLUDE=$T/tokens
	kp() { LD_PRELOAD=$KILLPOINT_LIB \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"; }
	"${name}_reset"
	rm -f "$T/$name.steps"
	KILLPOINT=step:0 KILLPOINT_LOG=$T/$name.steps kp "${name}_run" >"$T/out" 2>&1
	total=$(wc -l <"$T/$name.steps" 2>/dev/null || echo 0)
	fault_problems= fault_rv=SIGKILL fault_called=
	for i in $(seq 1 "$total"); do
		fault_at=$i fault_called=$(sed -n "${i}p" "$T/$name.steps" | cut -d' ' -f2-)
		"${name}_reset"
		KILLPOINT=step:$i kp "${name}_run" >"$T/out" 2>&1
		rc=$?
		runs=$((runs + 1))
		for tries in 1 2 3; do
			[ "$rc" -eq 0 ] && break
			"${name}_run" >"$T/rerun" 2>&1
			rc=$?
			[ "$rc" -eq 2 ] && discard_if_named "$T/rerun" "${FAULT_DISCARD[@]}"
		done
		if [ "$rc" -ne 0 ]; then
			fault_bad "three reruns failed: $(grep -v '^p11byok: warning' "$T/rerun" |
				grep -m1 '^p11byok')"
			continue
		fi
		"${name}_done"
	done
	if [ -z "$fault_problems" ]; then
		ok "$name: $runs of $total file-system steps survived a kill just before them"
	else
		not_ok "$name killed between file-system steps:$fault_problems"
	fi
	unset KILLPOINT_EXCLUDE
}

# admin_setup: the world the admin sweeps share: the vendor kit's region NA (a software KEK),
# kmdata, cards and output directories, the user PIN and one card passphrase; f runs the
# tool through the faulty module; world_init_run, generate_run, modify_acls_run and
# package_run are the flow of one EC P-256 key k1 in a 1/1 world.
admin_setup() {
	. "$top_srcdir/tests/vendor-kit.sh"
	kit_init "$T/kit" && kit_build NA soft || { echo "Bail out! the vendor kit failed"; exit 1; }
	FAULT_DIRS="kmdata cards byok"
	PIN=user-pin-1234
	# What takes away a key a crash left unrecorded where that cannot be recorded (lib.sh).
	FAULT_DISCARD=(--module "$SOFTHSM2_MODULE" --token pkcs11:token=byok-world --kmdata "$T/kmdata"
		--pin-file "$T/pin")
	mkdir -p "$T/tokens" "$T/kmdata" "$T/cards" "$T/byok"
	chmod 700 "$T/kmdata" "$T/cards" "$T/byok"
	printf '%s\n' "$PIN" >"$T/pin"
	printf 'card 1 passphrase\n' >"$T/pass1"
	chmod 600 "$T/pin" "$T/pass1"
	kek=(--region NA --toolset-dir "$KIT_TOOLSET_DIR" --root-hash "$KIT_ROOT_HASH")
	card=(--card "$T/cards/card-1-of-1.acs" --card-pass-file "$T/pass1")
}
f() {
	"$P11BYOK" --module "$FAULTY_MODULE" --regions "$REGIONS" --kmdata "$T/kmdata" \
		--pin-file "$T/pin" "$@" </dev/null
}
world_init_run() {
	f world init --acs-quorum 1/1 --cards-dir "$T/cards" --card-pass-file "$T/pass1"
}
generate_run() { f generate type=EC curve=P-256 protect=module ident=k1 plainname=k1 nvram=no; }
modify_acls_run() { f modify-acls --ident k1 "${kek[@]}"; }
package_run() {
	f package --ident k1 "${kek[@]}" --friendly-name k1 -o "$T/byok/k1.byok" "${card[@]}"
}
