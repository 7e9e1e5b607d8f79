/*
 * sandbox.c: gatewayd's seccomp deny-list (sandbox.h), through libseccomp.
 *
 * Every listed call answers EPERM instead of running. System calls of
 * another architecture's ABI (int 0x80, x32) are not in the filter's
 * architecture and kill the thread: libseccomp's default for a foreign
 * architecture, so a 32-bit call number cannot slip past the list.
 *
 * unshare and setns are not the only ways into a namespace: clone(2) takes
 * the same CLONE_NEW* flags, so a clone asking for any of them answers
 * EPERM too (its flags are its first argument on x86_64 and aarch64; the
 * threads glibc makes ask for none). clone3(2) passes its flags in memory,
 * which a filter cannot read: it answers ENOSYS, as on a kernel before
 * 5.3, and glibc makes its threads with clone instead.
 */
#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

static const char *const denied[] = {
	/* running another program: the shell an attacker wants first */
	"execve", "execveat",
	/* reading or changing another process (nocore.h keeps others out) */
#if !defined(__SANITIZE_ADDRESS__)
	"ptrace",	/* LeakSanitizer's stop-the-world needs it in ASan builds */
#endif
	"process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	/* kernel interfaces a web service never uses, and escalations use */
	"bpf", "userfaultfd", "perf_event_open", "keyctl", "add_key", "request_key",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
	"name_to_handle_at", "open_by_handle_at", "swapon", "swapoff", "reboot", "acct",
	"iopl", "ioperm", "modify_ldt", "quotactl", "syslog", "uselib", "vhangup",
	"personality", "lookup_dcookie",
};

/* clone(2) flags that make a namespace (CLONE_NEWTIME is clone3's and
 * unshare's only: in clone's flags its bit is the exit signal's). */
static const unsigned long clone_new[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
	CLONE_NEWCGROUP,
};

/* clone with a namespace flag EPERM, clone3 ENOSYS. 0, or -1 (err set). */
static int
deny_new_namespaces(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(clone_new) / sizeof(clone_new[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, clone_new[i], clone_new[i]))) != 0) {
			snprintf(err, errlen, "seccomp rule for clone: %s", strerror(-rc));
			return -1;
		}
	if (seccomp_syscall_resolve_name("clone3") != __NR_SCMP_ERROR &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    seccomp_syscall_resolve_name("clone3"), 0)) != 0) {
		snprintf(err, errlen, "seccomp rule for clone3: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

size_t
sandbox_denied(void)
{
	size_t	i, n = 0;

	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (seccomp_syscall_resolve_name(denied[i]) != __NR_SCMP_ERROR)
			n++;
	return n;
}

int
sandbox_enter(char *err, size_t errlen)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 nr, rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		if ((nr = seccomp_syscall_resolve_name(denied[i])) == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0) {
			snprintf(err, errlen, "seccomp rule for %s: %s", denied[i], strerror(-rc));
			seccomp_release(ctx);
			return -1;
		}
	}
	if (deny_new_namespaces(ctx, err, errlen) == -1) {
		seccomp_release(ctx);
		return -1;
	}
#if !defined(__SANITIZE_ADDRESS__)
	/* nocore() made the process not dumpable; nothing may make it so
	 * again (LeakSanitizer does, for a moment, in ASan builds). */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 1,
	    SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE))) != 0) {
		snprintf(err, errlen, "seccomp rule for prctl: %s", strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
#endif
	if ((rc = seccomp_load(ctx)) != 0) {
		snprintf(err, errlen, "seccomp filter not loaded (%s): is the kernel built "
		    "with CONFIG_SECCOMP_FILTER, and does the container allow seccomp(2)?",
		    strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}
