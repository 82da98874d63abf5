/* IDL names to C names (see mangle.h). */
#include "idl/mangle.h"

#include <ctype.h>
#include <string.h>

char *bkp_idl_snake(bkp_idl_arena *a, const char *name)
{
    size_t n = strlen(name);
    char *out = bkp_idl_alloc(a, 2 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isupper(c)) {
            unsigned char prev = i ? (unsigned char)name[i - 1] : 0;
            unsigned char next = (unsigned char)name[i + 1];
            bool word = i > 0 && (islower(prev) || isdigit(prev) ||
                                  (isupper(prev) && islower(next)));
            if (word && k > 0 && out[k - 1] != '_')
                out[k++] = '_';
            out[k++] = (char)tolower(c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k] = '\0';
    return out;
}

char *bkp_idl_c_prefix(bkp_idl_arena *a, const char *dotted)
{
    char *out = bkp_idl_strdup(a, "");
    const char *s = dotted;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        char *seg = bkp_idl_snake(a, bkp_idl_strndup(a, s, len));
        out = bkp_idl_printf(a, "%s%s%s", out, *out ? "_" : "", seg);
        if (!dot)
            return out;
        s = dot + 1;
    }
}

char *bkp_idl_upper(bkp_idl_arena *a, const char *s)
{
    char *u = bkp_idl_strdup(a, s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}
