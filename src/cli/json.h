/*
 * json.h - escaping for the two outputs that are not the data: JSON strings
 * for --info-json (RFC 8259: every control character as \u00XX, invalid
 * UTF-8 as U+FFFD, so a certificate name can never break the record) and
 * text for the terminal (-v, error lines: no control sequence gets through).
 */
#ifndef SRECV_JSON_H
#define SRECV_JSON_H

#include <stdio.h>

/* Write s as a JSON string, or null when s is NULL. Bidirectional and
 * invisible format characters (U+202E, U+200B, ...) come out as \uXXXX. */
void json_string(FILE *f, const char *s);

/* Write s for a human on a terminal: valid printable UTF-8 as is; control
 * characters (C0, DEL, C1), bidirectional and invisible format characters
 * and invalid bytes as \xHH per byte (a backslash stays).
 * NULL is written as "(none)". Never writes a newline or an escape. */
void term_string(FILE *f, const char *s);

#endif
