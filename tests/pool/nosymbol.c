/* A shared object that is not a Beekeeper module (no BK_MODULE): its worker must exit 99
 * and stay down (tests/itest_pool.sh). */
int nosymbol_answer(void);
__attribute__((visibility("default"))) int nosymbol_answer(void)
{
    return 42;
}
