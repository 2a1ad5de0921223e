// A writeback pacer: while a large output is being written, a thread asks the kernel every
// 50 ms to start writing its dirty pages to disk (sync_file_range, SYNC_FILE_RANGE_WRITE, which
// does not wait), so the final fsync finds little left to do and the disk works while steer
// computes. sync_file_range is a GNU extension, invisible to Swift's Glibc module.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "steer_kernels.h"

struct steer_writeback {
    int fd;
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
};

static void *pace(void *argument) {
    struct steer_writeback *w = argument;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 50 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) { until.tv_sec += 1; until.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
        if (w->stop) break;
        pthread_mutex_unlock(&w->lock);
        sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // errors only mean no early writeback
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct steer_writeback *steer_writeback_start(int fd) {
    struct steer_writeback *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->fd = fd;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);  // a wall-clock step must not stall the pacing
    pthread_cond_init(&w->wake, &attributes);
    pthread_condattr_destroy(&attributes);
    if (pthread_create(&w->thread, NULL, pace, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
        return NULL;
    }
    return w;
}

void steer_writeback_stop(struct steer_writeback *w) {
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
