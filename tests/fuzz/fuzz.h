/* SPDX-License-Identifier: MIT */
/* The one function every fuzz target defines (declared here for -Wmissing-prototypes). */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
