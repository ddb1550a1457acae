/*
 * json.h - a small JSON writer for --info-json: strings escaped per RFC 8259,
 * every control character as \u00XX, invalid UTF-8 replaced by U+FFFD so a
 * certificate name can never produce an unparsable record.
 */
#ifndef SRECV_JSON_H
#define SRECV_JSON_H

#include <stdio.h>

/* Write s as a JSON string, or null when s is NULL. */
void json_string(FILE *f, const char *s);

#endif
