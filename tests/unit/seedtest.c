/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper for secret hash seeds: a getrandom() that can fail, and a seed picked in a child. */
#include "seedtest.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

bool seedtest_fail_nonblock;

/* The executable's definition wins over the C library's for every caller. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	if (seedtest_fail_nonblock && (flags & GRND_NONBLOCK)) {
		errno = EAGAIN;
		return -1;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

uint64_t seedtest_child(uint64_t (*pick)(void))
{
	int fds[2], status;
	uint64_t v = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		seedtest_fail_nonblock = true;
		v = pick();
		_exit(write(fds[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &v, sizeof(v)), sizeof(v));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return v;
}
