/*
 * pvnop: the smallest static program we can exec: no libc, it exits at once.
 * Build: gcc -static -nostdlib -O2 -fno-stack-protector -no-pie -o pvnop pvnop.c
 */
void _start(void)
{
    __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
    for (;;)
        ;
}
