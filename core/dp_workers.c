/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output workers (gateway.workers >= 2): threads that do the data plane's TUN writes and UDP
 * sends. The loop thread fills one open job per (worker, kind), hands it over full or at the
 * end of a batch, and takes it back done: counters and the pool stay on the loop. A worker
 * only makes system calls on the packets of the job it holds (docs/architecture.md, Threads).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dp.h"
#include "log.h"
#include "loop.h"

/* The ring's counters wrap at 2^32: slot = counter % size stays continuous only for a power of 2. */
_Static_assert((DP_WORKER_JOBS & (DP_WORKER_JOBS - 1)) == 0, "DP_WORKER_JOBS: a power of 2");

/* Jobs of one worker: the ring's plus one open job per kind. */
#define JOBS_PER_WORKER (DP_WORKER_JOBS + DP_KINDS)

struct dp_job {
	struct dp_tx tx;          /* filled by the loop; the packets are the worker's while held */
	enum dp_kind kind;
	struct fzgw_udp_gso gso;  /* the socket's GSO state when handed over (UDP) */
	uint8_t sealed[DP_BATCH]; /* UDP: 1 when seal[i] is still to be done (a send key) */
	struct fzgw_wg_seal seal[DP_BATCH];
	/* results, written by the worker */
	int done;
	size_t refused;
	uint32_t merged;
	struct fzgw_udp_tx_result res;
	struct dp_job *next_free; /* the loop's free list */
};

struct dp_worker {
	struct dp_workers *set;
	int id;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t work; /* the loop handed over a job, or stop */
	pthread_cond_t done; /* the worker finished a job */
	/* under mu: jobs [fin, sub) are the worker's, [rep, fin) done and not yet reaped */
	unsigned int sub, fin;
	bool stop, hold;
	struct dp_job *ring[DP_WORKER_JOBS];
	/* the loop's alone */
	unsigned int rep;
	struct dp_job *open[DP_KINDS];
	struct dp_job *free_jobs;
	struct dp_job jobs[JOBS_PER_WORKER];
	/* the worker's alone */
	struct fzgw_gro gro;
};

struct dp_workers {
	struct fzgw_dataplane *dp;
	unsigned int n;
	int efd; /* workers write it when they go idle with done jobs; the loop reaps */
	struct fzgw_fd *ev;
	int tun_fd, fd4, fd6;
	bool tun_vnet;
	struct dp_worker w[];
};

unsigned int dp_workers_threads(int cfg)
{
	long cpus;

	if (cfg > 0)
		return cfg > DP_WORKERS_MAX ? DP_WORKERS_MAX : (unsigned int)cfg;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > DP_WORKERS_AUTO_MAX ? DP_WORKERS_AUTO_MAX : (unsigned int)cpus;
}

uint32_t dp_workers_buffers(unsigned int threads)
{
	return threads > 1 ? (threads - 1) * JOBS_PER_WORKER * DP_BATCH : 0;
}

unsigned int dp_workers_count(const struct fzgw_dataplane *dp)
{
	return dp->workers ? dp->workers->n : 0;
}

/* ------------------------------------------------------------ the worker thread */

/* The data messages whose seal came along: sealed in place, each key copy wiped. */
static void seal_all(struct dp_job *j)
{
	for (int i = 0; i < j->tx.n; i++) {
		if (!j->sealed[i])
			continue;
		fzgw_wg_seal(j->tx.buf[i], &j->seal[i]);
		j->sealed[i] = 0;
	}
}

static void job_run(struct dp_worker *wk, struct dp_job *j)
{
	const struct dp_workers *set = wk->set;
	struct dp_tx *tx = &j->tx;
	size_t refused = 0;
	int done = 0;

	j->merged = 0;
	memset(&j->res, 0, sizeof(j->res));
	if (j->kind == DP_KIND_TUN) {
		if (set->tun_vnet) {
			done = fzgw_gro_write(&wk->gro, set->tun_fd, tx->buf, tx->len, (size_t)tx->n,
					      &refused);
			if (done > 0)
				j->merged = wk->gro.merged;
		} else {
			done = fzgw_tun_write_batch(set->tun_fd, tx->buf, tx->len, (size_t)tx->n,
						    &refused);
		}
	} else {
		int fd = j->kind == DP_KIND_UDP6 ? set->fd6 : set->fd4;

		seal_all(j);
		if (fd < 0) {
			done = 0;
		} else if (!j->gso.on) {
			done = fzgw_udp_send_batch(fd, tx->buf, tx->len, tx->dst, (size_t)tx->n,
						   &refused);
		} else {
			done = fzgw_udp_send_gso(fd, &j->gso, tx->buf, tx->len, tx->dst,
						 (size_t)tx->n, &j->res);
			refused = j->res.refused;
		}
	}
	j->done = done < 0 ? 0 : done;
	j->refused = refused;
}

static void *worker_main(void *arg)
{
	struct dp_worker *wk = arg;
	bool notify = false;

	pthread_mutex_lock(&wk->mu);
	for (;;) {
		if (wk->fin != wk->sub && (!wk->hold || wk->stop)) {
			struct dp_job *j = wk->ring[wk->fin % DP_WORKER_JOBS];

			pthread_mutex_unlock(&wk->mu);
			job_run(wk, j);
			pthread_mutex_lock(&wk->mu);
			wk->fin++;
			pthread_cond_signal(&wk->done);
			notify = true;
			continue;
		}
		if (notify) {
			uint64_t one = 1;

			/* nothing more to do: the loop takes the done jobs back soon */
			notify = false;
			pthread_mutex_unlock(&wk->mu);
			if (write(wk->set->efd, &one, sizeof(one)) < 0) {
				/* EAGAIN: the counter is full of wake-ups already */
			}
			pthread_mutex_lock(&wk->mu);
			continue;
		}
		if (wk->stop)
			break;
		pthread_cond_wait(&wk->work, &wk->mu);
	}
	pthread_mutex_unlock(&wk->mu);
	return NULL;
}

/* ------------------------------------------------------------ the loop's side */

static void job_reap(struct fzgw_dataplane *dp, struct dp_job *j)
{
	struct dp_tx *tx = &j->tx;

	if (j->kind == DP_KIND_TUN) {
		dp_tun_done(dp, tx->n, j->done, j->refused, j->merged);
	} else {
		bool v6 = j->kind == DP_KIND_UDP6;
		struct fzgw_udp_gso *g = v6 ? &dp->gso6 : &dp->gso4;

		dp_udp_done(dp, tx->n, j->done, j->refused);
		if (j->res.turned_off && !g->on)
			j->res.turned_off = 0; /* another job said it already */
		dp_udp_gso_done(dp, v6, &j->res);
		if (j->res.turned_off)
			*g = j->gso; /* off for every job handed over from now on */
	}
	for (int i = 0; i < tx->n; i++)
		fzgw_pool_put(tx->pkt[i]);
	tx->n = 0;
}

static void reap_worker(struct fzgw_dataplane *dp, struct dp_worker *wk)
{
	unsigned int fin;

	pthread_mutex_lock(&wk->mu);
	fin = wk->fin;
	pthread_mutex_unlock(&wk->mu);
	while (wk->rep != fin) {
		struct dp_job *j = wk->ring[wk->rep % DP_WORKER_JOBS];

		job_reap(dp, j);
		j->next_free = wk->free_jobs;
		wk->free_jobs = j;
		wk->rep++;
	}
}

void dp_workers_reap(struct fzgw_dataplane *dp)
{
	struct dp_workers *set = dp->workers;

	if (!set)
		return;
	for (unsigned int i = 0; i < set->n; i++)
		reap_worker(dp, &set->w[i]);
}

/* Waits until @wk finished every job handed over (or, @one, at least one more). */
static void wait_worker(struct dp_worker *wk, bool one)
{
	pthread_mutex_lock(&wk->mu);
	if (one) {
		unsigned int fin = wk->fin;

		while (wk->fin == fin && wk->fin != wk->sub)
			pthread_cond_wait(&wk->done, &wk->mu);
	} else {
		while (wk->fin != wk->sub)
			pthread_cond_wait(&wk->done, &wk->mu);
	}
	pthread_mutex_unlock(&wk->mu);
}

static void submit(struct fzgw_dataplane *dp, struct dp_worker *wk, enum dp_kind kind)
{
	struct dp_job *j = wk->open[kind];

	wk->open[kind] = NULL;
	j->kind = kind;
	if (kind != DP_KIND_TUN)
		j->gso = kind == DP_KIND_UDP6 ? dp->gso6 : dp->gso4;
	if (wk->sub - wk->rep == DP_WORKER_JOBS) {
		/* the ring is full: take back what is done, else wait for the worker (it never
		 * blocks: its fds are non-blocking and a full queue is a counted drop) */
		reap_worker(dp, wk);
		if (wk->sub - wk->rep == DP_WORKER_JOBS) {
			fzgw_counter_bump(&dp->core->counters, "tx-worker-wait", 1);
			wait_worker(wk, true);
			reap_worker(dp, wk);
		}
	}
	pthread_mutex_lock(&wk->mu);
	wk->ring[wk->sub % DP_WORKER_JOBS] = j;
	wk->sub++;
	pthread_cond_signal(&wk->work);
	pthread_mutex_unlock(&wk->mu);
}

void dp_workers_queue(struct fzgw_dataplane *dp, enum dp_kind kind, struct fzgw_packet *pkt,
		      uint8_t *buf, size_t len, const struct fzgw_wg_endpoint *dst,
		      const struct fzgw_wg_seal *seal)
{
	struct dp_workers *set = dp->workers;
	unsigned int w = kind == DP_KIND_TUN ? dp_shard_tun(buf, len, set->n)
					     : dp_shard_udp((const union fzgw_sockaddr *)&dst->sa, set->n);
	struct dp_worker *wk = &set->w[w];
	struct dp_job *j = wk->open[kind];
	struct dp_tx *tx;

	if (!j) {
		/* never empty: the ring holds DP_WORKER_JOBS, the other kinds one open job each */
		j = wk->free_jobs;
		wk->free_jobs = j->next_free;
		wk->open[kind] = j;
	}
	tx = &j->tx;
	tx->pkt[tx->n] = pkt;
	tx->buf[tx->n] = buf;
	tx->len[tx->n] = len;
	if (kind != DP_KIND_TUN) {
		memset(&tx->dst[tx->n], 0, sizeof(tx->dst[0]));
		memcpy(&tx->dst[tx->n], &dst->sa, dst->len);
		j->sealed[tx->n] = seal != NULL;
		if (seal)
			j->seal[tx->n] = *seal;
	}
	tx->n++;
	if (tx->n == DP_BATCH || !dp->batching)
		submit(dp, wk, kind);
}

void dp_workers_submit_all(struct fzgw_dataplane *dp)
{
	struct dp_workers *set = dp->workers;

	for (unsigned int i = 0; i < set->n; i++)
		for (int k = 0; k < DP_KINDS; k++)
			if (set->w[i].open[k] && set->w[i].open[k]->tx.n)
				submit(dp, &set->w[i], (enum dp_kind)k);
}

/* Every job handed over written and taken back. */
static void wait_all(struct fzgw_dataplane *dp)
{
	struct dp_workers *set = dp->workers;

	for (unsigned int i = 0; i < set->n; i++) {
		wait_worker(&set->w[i], false);
		reap_worker(dp, &set->w[i]);
	}
}

void dp_workers_udp_wait(struct fzgw_dataplane *dp, uint64_t deadline_ms)
{
	struct dp_workers *set = dp->workers;

	for (unsigned int i = 0; i < set->n; i++)
		if (set->w[i].open[DP_KIND_TUN] && set->w[i].open[DP_KIND_TUN]->tx.n)
			submit(dp, &set->w[i], DP_KIND_TUN);
	wait_all(dp);
	/* what is still open goes after them, from the loop, waiting for room as without workers */
	for (unsigned int i = 0; i < set->n; i++) {
		struct dp_worker *wk = &set->w[i];

		for (int k = DP_KIND_UDP4; k <= DP_KIND_UDP6; k++) {
			struct dp_job *j = wk->open[k];

			if (!j)
				continue;
			seal_all(j); /* on the loop: the worker is not asked */
			dp_udp_send_wait(dp, &j->tx, k == DP_KIND_UDP6 ? set->fd6 : set->fd4,
					 deadline_ms);
			wk->open[k] = NULL;
			j->next_free = wk->free_jobs;
			wk->free_jobs = j;
		}
	}
}

void dp_workers_hold(struct fzgw_dataplane *dp, bool hold)
{
	struct dp_workers *set = dp->workers;

	for (unsigned int i = 0; set && i < set->n; i++) {
		pthread_mutex_lock(&set->w[i].mu);
		set->w[i].hold = hold;
		pthread_cond_signal(&set->w[i].work);
		pthread_mutex_unlock(&set->w[i].mu);
	}
}

static void on_done(int fd, short what, void *arg)
{
	struct fzgw_dataplane *dp = arg;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another event took the count */
	}
	dp_workers_reap(dp);
}

/* ------------------------------------------------------------ life */

static void stop_threads(struct dp_workers *set)
{
	for (unsigned int i = 0; i < set->n; i++) {
		struct dp_worker *wk = &set->w[i];

		if (!wk->started)
			continue;
		pthread_mutex_lock(&wk->mu);
		wk->stop = true;
		pthread_cond_signal(&wk->work);
		pthread_mutex_unlock(&wk->mu);
		pthread_join(wk->thread, NULL);
		wk->started = false;
	}
}

static void free_set(struct fzgw_dataplane *dp, struct dp_workers *set)
{
	stop_threads(set);
	for (unsigned int i = 0; i < set->n; i++) {
		pthread_cond_destroy(&set->w[i].done);
		pthread_cond_destroy(&set->w[i].work);
		pthread_mutex_destroy(&set->w[i].mu);
	}
	if (set->ev)
		fzgw_loop_fd_del(dp->ctx, set->ev);
	if (set->efd >= 0)
		close(set->efd);
	/* every seal was done and wiped; the jobs go without a trace of a send key anyway */
	sodium_memzero(set, sizeof(*set) + set->n * sizeof(set->w[0]));
	free(set);
}

int dp_workers_start(struct fzgw_dataplane *dp, unsigned int threads)
{
	unsigned int n = threads > 1 ? threads - 1 : 0;
	struct dp_workers *set;
	sigset_t all, old;
	int rc = 0;

	if (!n)
		return 0;
	if (!(set = calloc(1, sizeof(*set) + n * sizeof(set->w[0]))))
		return -ENOMEM;
	set->dp = dp;
	set->n = n;
	set->tun_fd = dp->tun_fd;
	set->fd4 = dp->udp.fd4;
	set->fd6 = dp->udp.fd6;
	set->tun_vnet = dp->tun_vnet;
	for (unsigned int i = 0; i < n; i++) {
		struct dp_worker *wk = &set->w[i];

		wk->set = set;
		wk->id = (int)i;
		wk->gro.udp = dp->gro.udp;
		pthread_mutex_init(&wk->mu, NULL);
		pthread_cond_init(&wk->work, NULL);
		pthread_cond_init(&wk->done, NULL);
		for (int k = 0; k < JOBS_PER_WORKER; k++) {
			wk->jobs[k].next_free = wk->free_jobs;
			wk->free_jobs = &wk->jobs[k];
		}
	}
	if ((set->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = -errno;
		goto err;
	}
	if (!(set->ev = fzgw_loop_fd_add(dp->ctx, set->efd, FZGW_FD_READ, on_done, dp))) {
		rc = -ENOMEM;
		goto err;
	}
	/* the workers take no signal: the loop thread handles them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < n && !rc; i++) {
		char name[16];

		rc = -pthread_create(&set->w[i].thread, NULL, worker_main, &set->w[i]);
		if (rc)
			break;
		set->w[i].started = true;
		snprintf(name, sizeof(name), "fzgw-out-%u", i % 1000u);
		pthread_setname_np(set->w[i].thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		goto err;
	dp->workers = set;
	return 0;
err:
	free_set(dp, set);
	return rc;
}

void dp_workers_stop(struct fzgw_dataplane *dp)
{
	struct dp_workers *set = dp->workers;

	if (!set)
		return;
	dp_workers_hold(dp, false);
	dp_workers_submit_all(dp);
	wait_all(dp);
	free_set(dp, set);
	dp->workers = NULL;
}
