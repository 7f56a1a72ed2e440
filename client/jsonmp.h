/* jsonmp.h: conversion between JSON (jansson json_t) and MessagePack, and a
 * compact JSON writer that keeps UTF-8 as UTF-8 and prints reals in their
 * shortest round-trip form (jansson prints 0.1 as 0.10000000000000001). */
#ifndef ANNALS_CLIENT_JSONMP_H
#define ANNALS_CLIENT_JSONMP_H

#include <jansson.h>
#include <msgpack.h>

#include "proto/buf.h"

/* jsonmp_pack: pack v with pk. Integers stay integers, reals become float64,
 * null becomes nil, object keys keep their order. */
void jsonmp_pack(msgpack_packer *pk, const json_t *v);

/* jsonmp_to_json: a new JSON value (the caller owns the reference) for o.
 * str -> string (invalid UTF-8 replaced by U+FFFD), positive and negative
 * integers -> integer (a uint64 above INT64_MAX -> real), float -> real
 * (non-finite -> null), bin/ext -> null. Map keys that are not strings are
 * written as their compact JSON text. Never returns NULL. */
json_t *jsonmp_to_json(const msgpack_object *o);

/* jsonmp_dump: append the compact JSON text of v to out (no newline). */
void jsonmp_dump(const json_t *v, buf_t *out);

/* jsonmp_dumps: the compact JSON text of v as a NUL-terminated string the
 * caller frees. */
char *jsonmp_dumps(const json_t *v);

/* jsonmp_format_real: write d in its shortest form that reads back as the
 * same double, always with a '.' or an exponent so it stays a real; out must
 * hold at least 32 bytes. Returns the length. */
int jsonmp_format_real(double d, char *out);

#endif
