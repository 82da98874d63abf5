/* bkpr-gen: .bkidl files in, typed C for Beekeeper services out. Pipeline: read and check
 * (idl/), the JSON model (idl/model.c; --model prints it), the C generator (cgen.h; its files
 * are listed in gen.h) with its templates, then the files, written only once everything was
 * generated without error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "codegen/cgen.h"
#include "core/cli.h"
#include "idl/idl.h"
#include "idl/compat.h"
#include "idl/model.h"


/* --check-compat OLD NEW: each file checked in a program of its own (both may declare the
 * same names), then compared. 0 compatible, 1 breaking or invalid input. */
static int check_compat(bkp_idl_program *pn, const char *oldpath, const char *newpath)
{
    bkp_idl_program *po = bkp_idl_program_new();
    if (!po) {
        fputs("bkpr-gen: out of memory\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < pn->nincdirs; i++)
        bkp_idl_program_add_include(po, pn->incdirs[i]);
    bkp_idl_file *o = bkp_idl_load(po, oldpath);
    bkp_idl_file *n = bkp_idl_load(pn, newpath);
    int bad = bkp_idl_check(po) + bkp_idl_check(pn);
    if (bad == 0)
        bad = bkp_idl_compat(pn->diag, o, n);
    bkp_idl_diag_print(po->diag, stderr);
    bkp_idl_diag_print(pn->diag, stderr);
    bkp_idl_program_free(po);
    return bad ? 1 : 0;
}

static void usage(FILE *out)
{
    fputs("usage: bkpr-gen [-o DIR] [-I DIR]... [--skeleton] [--model] [-M DEPFILE]\n"
          "                [--templates DIR] FILE.bkidl...\n"
          "       bkpr-gen [-I DIR]... --check-compat OLD.bkidl NEW.bkidl\n"
          "\n"
          "Reads .bkidl service descriptions (and the files they import), checks them, and\n"
          "writes typed C for them: per service PREFIX.h, PREFIX_client.c, PREFIX_worker.c;\n"
          "per file NAME.bkidl (and each file it imports) NAME_types.h and NAME_types.c.\n"
          "\n"
          "  -I DIR       search DIR for imports, after the importing file's own folder\n"
          "               (repeatable, in order)\n"
          "  -o DIR       write the generated files into DIR (default: .; made if missing)\n"
          "  --skeleton   also write PREFIX_impl.c, handlers to fill, unless it exists\n"
          "  -M DEPFILE   write make dependencies: the outputs (and DEPFILE) depend on each\n"
          "               FILE and its imports; DEPFILE is rewritten on every run\n"
          "  --templates DIR  read templates from DIR first (names as in templates/)\n"
          "  --model      print the JSON model of each FILE on stdout instead of generating\n"
          "               (its shape: doc/idl.md, \"The JSON model\")\n"
          "  --check-compat  exit 1, telling each, if NEW breaks peers built from OLD\n"
          "               (rules: doc/idl.md, \"Schemas over time\"); 0 if compatible\n"
          "  -h, --help   this text\n"
          "  --version    bkpr-gen's version (and its JSON model's)\n"
          "\n"
          "Errors go to stderr as FILE:LINE:COLUMN: error: ...; the exit status is then 1\n"
          "and no file is written. A file whose content would not change is not rewritten.\n"
          "\n"
          "Examples:\n"
          "  bkpr-gen -o gen calc.bkidl               typed C for calc.bkidl in gen/\n"
          "  bkpr-gen -o gen -M gen/calc.d --skeleton calc.bkidl\n",
          out);
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return -1;
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return 0;
}

/* 1 when path holds exactly text[0..len). */
static int same_content(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int same = 1;
    char buf[8192];
    size_t off = 0, n;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (off + n > len || memcmp(buf, text + off, n) != 0)
            same = 0;
        off += n;
    }
    if (ferror(f) || off != len)
        same = 0;
    fclose(f);
    return same;
}

/* Writes path atomically: a temporary file in the same folder, then rename. */
static int write_atomic(const char *path, const char *text, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return -1;
    snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "bkpr-gen: %s: %s\n", path, strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t um = umask(0);
    umask(um);
    int ok = fchmod(fd, 0666 & ~um) == 0;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        off += w > 0 ? (size_t)w : 0;
    }
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "bkpr-gen: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* A path for a make rule: spaces, '#' and '$' escaped. */
static void dep_path(FILE *f, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ' || *p == '#')
            fputc('\\', f);
        else if (*p == '$')
            fputc('$', f);
        fputc(*p, f);
    }
}

int main(int argc, char **argv)
{
    bool model = false, compat = false;
    const char *outdir = ".", *depfile = NULL;
    cg_gen_opts gopts = {0};
    cg_gen_file *out = NULL;
    size_t nout = 0;
    char *deps = NULL;
    size_t depslen = 0;
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
            bkp_cli_version("bkpr-gen");
            printf("JSON model version %d\n", BKP_IDL_MODEL_VERSION);
            rc = 0;
            goto out;
        } else if (strcmp(a, "--model") == 0) {
            model = true;
        } else if (strcmp(a, "--check-compat") == 0) {
            compat = true;
        } else if (strcmp(a, "--skeleton") == 0) {
            gopts.skeleton = true;
        } else if (strcmp(a, "-I") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "-M") == 0 ||
                   strcmp(a, "--templates") == 0) {
            if (i + 1 >= argc) {
                rc = bkp_cli_misuse_arg("bkpr-gen", 1, a);
                goto out;
            }
            if (strcmp(a, "-I") == 0)
                bkp_idl_program_add_include(p, argv[++i]);
            else if (strcmp(a, "-o") == 0)
                outdir = argv[++i];
            else if (strcmp(a, "-M") == 0)
                depfile = argv[++i];
            else
                gopts.templates = argv[++i];
        } else if (strncmp(a, "-I", 2) == 0) {
            bkp_idl_program_add_include(p, a + 2);
        } else if (strcmp(a, "--") == 0) {
            while (++i < argc)
                inputs[ninputs++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = bkp_cli_misuse_arg("bkpr-gen", 0, a);
            goto out;
        } else {
            inputs[ninputs++] = a;
        }
    }
    if (ninputs == 0) {
        fputs("bkpr-gen: no input file\ntry 'bkpr-gen --help'\n", stderr);
        rc = BKP_CLI_USAGE;
        goto out;
    }

    if (compat) {
        if (ninputs != 2 || model) {
            fputs("bkpr-gen: --check-compat takes two files, OLD and NEW, and no --model\n"
                  "try 'bkpr-gen --help'\n", stderr);
            rc = BKP_CLI_USAGE;
        } else {
            rc = check_compat(p, inputs[0], inputs[1]);
        }
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
        /* Generate everything in memory; write only when all of it succeeded. */
        FILE *df = depfile ? open_memstream(&deps, &depslen) : NULL;
        if (depfile && !df) {
            perror("bkpr-gen");
            free(files);
            goto out;
        }
        int bad = 0;
        for (int i = 0; i < ninputs && !bad; i++) {
            json_t *m = bkp_idl_model(p, files[i]);
            char err[1024];
            size_t first = nout;
            if (!m || cg_gen_c(m, p->arena, &gopts, &out, &nout, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", m ? err : "bkpr-gen: out of memory");
                bad = 1;
            }
            if (df && !bad) {
                dep_path(df, depfile);
                for (size_t k = first; k < nout; k++) {
                    if (out[k].skeleton)
                        continue;
                    fputc(' ', df);
                    dep_path(df, outdir);
                    fputc('/', df);
                    dep_path(df, out[k].name);
                }
                fputs(":", df);
                json_t *f = json_object_get(m, "file"), *imp;
                size_t k;
                fputc(' ', df);
                dep_path(df, json_string_value(json_object_get(f, "path")));
                json_array_foreach(json_object_get(m, "imported"), k, imp) {
                    fputc(' ', df);
                    dep_path(df, json_string_value(json_object_get(imp, "path")));
                }
                fputc('\n', df);
                dep_path(df, json_string_value(json_object_get(f, "path")));
                fputs(":\n", df);
                json_array_foreach(json_object_get(m, "imported"), k, imp) {
                    dep_path(df, json_string_value(json_object_get(imp, "path")));
                    fputs(":\n", df);
                }
            }
            json_decref(m);
        }
        if (df)
            fclose(df);
        /* Two inputs importing one file make its types twice: the same bytes. Else two
         * files of the same name in different folders would be written to one. */
        for (size_t a = 0; a < nout && !bad; a++)
            for (size_t b = a + 1; b < nout && !bad; b++)
                if (strcmp(out[a].name, out[b].name) == 0 &&
                    (out[a].len != out[b].len || memcmp(out[a].text, out[b].text, out[a].len))) {
                    fprintf(stderr, "bkpr-gen: %s and %s would both be written as %s: rename "
                            "one of them\n", out[a].source, out[b].source, out[a].name);
                    bad = 1;
                }
        free(files);
        if (bad)
            goto out;
        if (make_dirs(outdir) != 0) {
            fprintf(stderr, "bkpr-gen: %s: %s\n", outdir, strerror(errno));
            goto out;
        }
        rc = 0;
        for (size_t k = 0; k < nout; k++) {
            size_t n = strlen(outdir) + strlen(out[k].name) + 2;
            char *path = malloc(n);
            if (!path) {
                rc = 1;
                break;
            }
            snprintf(path, n, "%s/%s", outdir, out[k].name);
            struct stat st;
            if (out[k].skeleton ? stat(path, &st) == 0
                                : same_content(path, out[k].text, out[k].len)) {
                free(path);
                continue;
            }
            if (write_atomic(path, out[k].text, out[k].len) != 0)
                rc = 1;
            free(path);
        }
        if (rc == 0 && depfile && write_atomic(depfile, deps ? deps : "", depslen) != 0)
            rc = 1;
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
    cg_gen_files_free(out, nout);
    free(deps);
    free(inputs);
    bkp_idl_program_free(p);
    return rc;
}
