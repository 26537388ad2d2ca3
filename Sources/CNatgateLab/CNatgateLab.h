// What the lab's process runner needs from glibc and Swift's Glibc module does not export.
// No C code lives here: only declarations Swift needs to see.
#include <unistd.h>

// Swift's Glibc module is built without _GNU_SOURCE, so it does not export pipe2(2). This is
// glibc's own prototype of it (unistd.h): pipes created close-on-exec at once, so that a process
// another thread starts cannot inherit them and keep them open.
extern int pipe2(int pipefd[2], int flags);
