/* Marks a declaration as part of the public ABI of libbeekeeper.so.
 * Everything else is built with -fvisibility=hidden. */
#ifndef BEEKEEPER_EXPORT_H
#define BEEKEEPER_EXPORT_H
#if defined(__GNUC__)
#define BK_API __attribute__((visibility("default")))
#else
#define BK_API
#endif
#endif
