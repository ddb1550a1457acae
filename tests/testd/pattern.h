/*
 * pattern.h - the standard test byte stream: deterministic, every byte
 * value (NUL included), not periodic at 256. srecv-testd sends it for
 * --send-bytes and the tests regenerate it to know the exact bytes.
 */
#ifndef SRECV_PATTERN_H
#define SRECV_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with bytes [offset, offset + len) of the pattern. */
static inline void srecv_pattern(unsigned char *buf, uint64_t offset, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++) {
		uint32_t i = (uint32_t)(offset + j);

		buf[j] = (unsigned char)((uint8_t)((i * 2654435761u) >> 13) ^ (uint8_t)i);
	}
}

#endif
