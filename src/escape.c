/*
 * escape: outside bytes made safe to log (see escape.h).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* The escape of one byte into e (at least 5 bytes); its length. */
static size_t
escape_byte(unsigned char c, int field, char *e)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '\\':
		memcpy(e, "\\\\", 2);
		return (2);
	case '\n':
		memcpy(e, "\\n", 2);
		return (2);
	case '\r':
		memcpy(e, "\\r", 2);
		return (2);
	case '\t':
		memcpy(e, "\\t", 2);
		return (2);
	}
	if (c >= 0x20 && c < 0x7f && !(field && (c == ' ' || c == '"'))) {
		e[0] = (char)c;
		return (1);
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 0xf];
	return (4);
}

static const char *
escape(const void *s, size_t len, int field, char *buf, size_t buflen)
{
	const unsigned char *p = s;
	size_t i, o = 0, n, need = 0, room, dots;
	char e[5];

	if (buflen == 0)
		return (buf);
	for (i = 0; i < len; i++)
		need += escape_byte(p[i], field, e);
	/* Cut: keep room for "..." (or what of it fits). */
	room = need < buflen ? buflen - 1 : buflen > 4 ? buflen - 4 : 0;
	for (i = 0; i < len; i++) {
		n = escape_byte(p[i], field, e);
		if (o + n > room)
			break;
		memcpy(buf + o, e, n);
		o += n;
	}
	if (i < len)
		for (dots = 0; dots < 3 && o + 1 < buflen; dots++)
			buf[o++] = '.';
	buf[o] = '\0';
	return (buf);
}

const char *
escape_mem(const void *s, size_t len, char *buf, size_t buflen)
{

	return (escape(s, len, 0, buf, buflen));
}

const char *
escape_field(const void *s, size_t len, char *buf, size_t buflen)
{

	return (escape(s, len, 1, buf, buflen));
}

const char *
escape_str(const char *s, char *buf, size_t buflen)
{

	return (escape_mem(s, strlen(s), buf, buflen));
}

const char *
escape_word(const char *s, const char *special, char *buf, size_t buflen)
{
	size_t o = 0;

	if (*s != '\0' && strpbrk(s, special) == NULL) {
		snprintf(buf, buflen, "%s", s);
		return (buf);
	}
	buf[o++] = '"';
	for (; *s != '\0' && o + 3 < buflen; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return (buf);
}
