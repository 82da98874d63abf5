/* A small mustache-like template engine for bkpr-gen, driven by a jansson value.
 *
 *   {{name}}  {{a.b}}      the value found up the context stack (a string as it is, a number
 *                          in decimal, true/false; null renders nothing); no HTML escaping
 *   {{.}}                  the current context
 *   {{name|upper}}         filters: upper, lower (more than one: {{x|lower|upper}})
 *   {{#name}}...{{/name}}  a list: once per item (the item on the stack, with -first and
 *                          -last); an object: once, pushed; true or a non-empty string: once;
 *                          false, null, 0, "" and []: not at all
 *   {{^name}}...{{/name}}  once when {{#name}} would render nothing
 *   {{! comment }}
 *   {{{#x}}...{{/x}}}      more than two '{' before a tag: the extra ones are text (C's braces)
 * A tag alone on its line (section, inverted, close, comment) takes the whole line with it.
 * A name found nowhere on the stack is an error (a template typo must not vanish silently).
 * Internal to bkpr-gen. */
#ifndef CG_TMPL_H
#define CG_TMPL_H

#include <stddef.h>

#include <jansson.h>

typedef struct cg_tmpl cg_tmpl;

/* Parses text (len bytes; name is for messages). Returns the template, or NULL with a message
 * "name:line: ..." in err (errlen bytes). Free with cg_tmpl_free (NULL: no-op). */
cg_tmpl *cg_tmpl_parse(const char *name, const char *text, size_t len, char *err,
                       size_t errlen);
void cg_tmpl_free(cg_tmpl *t);

/* Renders t with ctx. Returns a malloc'd NUL-terminated string (*outlen its length), or NULL
 * with a message in err. Out of memory aborts (sbuf.h). */
char *cg_tmpl_render(const cg_tmpl *t, json_t *ctx, size_t *outlen, char *err, size_t errlen);

#endif
