/* bkpr-gen: .bkidl files in, typed C for Beekeeper services out. For now the front end only:
 * reading, checking, and --model (the JSON model the generator's templates will consume). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "idl/idl.h"
#include "idl/model.h"

#ifndef BK_VERSION
#define BK_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fputs("usage: bkpr-gen [-o DIR] [-I DIR]... [--model] FILE.bkidl...\n"
          "\n"
          "Reads .bkidl service descriptions (and the files they import), checks them, and\n"
          "writes typed C stubs for them.\n"
          "\n"
          "  -I DIR       search DIR for imports, after the importing file's own folder\n"
          "               (repeatable, in order)\n"
          "  -o DIR       write the generated files into DIR (default: .)\n"
          "  --model      print the JSON model of each FILE on stdout instead of generating\n"
          "               (its shape: doc/idl.md, \"The JSON model\")\n"
          "  --help       this text\n"
          "  --version    bkpr-gen's version\n"
          "\n"
          "Errors go to stderr as FILE:LINE:COLUMN: error: ...; the exit status is then 1\n"
          "and no file is written.\n",
          out);
}

int main(int argc, char **argv)
{
    bool model = false;
    const char *outdir = ".";
    int rc = 1;
    bkp_idl_program *p = bkp_idl_program_new();
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int ninputs = 0;
    if (!p || !inputs) {
        fputs("bkpr-gen: out of memory\n", stderr);
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (strcmp(a, "--version") == 0) {
            printf("bkpr-gen %s (model %d)\n", BK_VERSION, BKP_IDL_MODEL_VERSION);
            rc = 0;
            goto out;
        } else if (strcmp(a, "--model") == 0) {
            model = true;
        } else if (strcmp(a, "-I") == 0 || strcmp(a, "-o") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bkpr-gen: %s needs a folder\n", a);
                goto out;
            }
            if (a[1] == 'I')
                bkp_idl_program_add_include(p, argv[++i]);
            else
                outdir = argv[++i];
        } else if (strncmp(a, "-I", 2) == 0) {
            bkp_idl_program_add_include(p, a + 2);
        } else if (strcmp(a, "--") == 0) {
            while (++i < argc)
                inputs[ninputs++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "bkpr-gen: unknown option '%s' (see bkpr-gen --help)\n", a);
            goto out;
        } else {
            inputs[ninputs++] = a;
        }
    }
    if (ninputs == 0) {
        fputs("bkpr-gen: no input file (see bkpr-gen --help)\n", stderr);
        goto out;
    }

    bkp_idl_file **files = calloc((size_t)ninputs, sizeof *files);
    if (!files)
        goto out;
    for (int i = 0; i < ninputs; i++)
        files[i] = bkp_idl_load(p, inputs[i]);
    if (bkp_idl_check(p) > 0) {
        bkp_idl_diag_print(p->diag, stderr);
        free(files);
        goto out;
    }
    if (!model) {
        (void)outdir;
        fputs("bkpr-gen: C generation not built yet (use --model)\n", stderr);
        free(files);
        goto out;
    }
    rc = 0;
    for (int i = 0; i < ninputs; i++) {
        json_t *m = bkp_idl_model(p, files[i]);
        if (!m || json_dumpf(m, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII) < 0) {
            fputs("bkpr-gen: cannot write the model\n", stderr);
            rc = 1;
        }
        fputc('\n', stdout);
        json_decref(m);
    }
    if (fflush(stdout) != 0) {
        perror("bkpr-gen: stdout");
        rc = 1;
    }
    free(files);
out:
    free(inputs);
    bkp_idl_program_free(p);
    return rc;
}
