/* true.c - /bench/true: the smallest program, for the spawn benchmark. */
int main(void)
{
    return 0;
}
