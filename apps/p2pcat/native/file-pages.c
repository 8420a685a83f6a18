// One system call for p2pcat's file-pages.ts (issue 18): madvise(MADV_DONTNEED) on a range of the
// process's own address space. Linux only; Node-API (ABI-stable), so one build serves every Node.
//
// The JavaScript side picks the ranges: private, read-only mappings of files that hold no private
// copy of any page (smaps: Anonymous, Swap, dirty counts all zero). On such a mapping the call
// only drops the page-table entries: every page is still the file's, and the next access maps it
// again from the page cache (a minor fault), as after the kernel reclaimed it under memory pressure.
// Given any other range it would discard memory; file-pages.ts is its only caller.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

// dropPages(start: bigint, length: bigint): 0, or the errno of madvise (EINVAL for a range that is
// not page-aligned, locked or not mapped).
static napi_value drop_pages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint64_t start = 0, length = 0;
  bool lossless = false;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_bigint_uint64(env, argv[0], &start, &lossless) != napi_ok || !lossless ||
      napi_get_value_bigint_uint64(env, argv[1], &length, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, NULL, "dropPages(start: bigint, length: bigint)");
    return NULL;
  }
  long page = sysconf(_SC_PAGESIZE);
  int rc = 0;
  if (length == 0 || page <= 0 || start % (uint64_t)page != 0 || length % (uint64_t)page != 0)
    rc = EINVAL;
  else if (madvise((void *)(uintptr_t)start, (size_t)length, MADV_DONTNEED) != 0)
    rc = errno;
  napi_create_int32(env, rc, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "dropPages", NAPI_AUTO_LENGTH, drop_pages, NULL, &fn);
  napi_set_named_property(env, exports, "dropPages", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
