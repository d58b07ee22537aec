# Sourced by the compare_*.sh drivers: the one model shape and thread setting
# that tandem and its PyTorch peers are measured on, so the comparisons agree.
shape=(--layers 4 --d 256 --heads 4 --T 256 --batch 8 --steps 15 --warmup 3 --threads 1)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
