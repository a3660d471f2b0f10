/*
 * tests/user/sh_cwd.c - a program for the shell tests (grade/tests_shell.py):
 * prints the directory it started in (libc's getcwd, from the shell's $PWD)
 * and the first line of the file argv[1], opened by that relative name, so
 * the grader sees that a program works where the shell is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char cwd[256], line[256];
    if (argc != 2 || !getcwd(cwd, sizeof cwd)) {
        printf("sh_cwd: usage: sh_cwd FILE\n");
        return 20;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        printf("sh_cwd: %s: %s: %s\n", cwd, argv[1], strerror(errno));
        return 10;
    }
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    fclose(f);
    printf("sh_cwd: %s: %s\n", cwd, line);
    return 0;
}
