/* psu-ctl's Huawei mode (psu_ctl_huawei.c): main() hands over when --huawei is given. */
#ifndef PSU_CTL_HUAWEI_H
#define PSU_CTL_HUAWEI_H

/** @brief The whole run; returns the exit status. */
int psu_ctl_huawei_main(int argc, char **argv);

#endif /* PSU_CTL_HUAWEI_H */
