/*
 * tests/user/sh_echo.c - a program for the shell tests (grade/tests_shell.py):
 * prints its arguments on one line and exits with the number in argv[1],
 * so the grader sees that the shell passed the words and reports the code.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    printf("sh_echo: %d args:", argc - 1);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
