/*
 * many.h - srecv with several targets: one thread drives up to -P
 * connections at once through libsrecv's non-blocking API, each target
 * with its own output file, JSON Lines record and exit code.
 */
#ifndef SRECV_MANY_H
#define SRECV_MANY_H

#include "run.h"

/* Run every target of r's options (run_prepare returned RUN_MANY: config,
 * --info-json and --send-file are ready). cancel_fd: main's self-pipe,
 * readable once SIGINT or SIGTERM came. Returns the exit code: 0 when
 * every target succeeded, else the lowest non-zero code of a target, or
 * 128 + the signal. */
int many_run(struct run *r, int cancel_fd);

#endif
