package org.lowrank4j.tensor;

/** The tensor formats a layer's weight can be factorized into. */
public enum Factorization {
    /** CANDECOMP/PARAFAC: a sum of rank-one tensors. */
    CP,
    /** Tucker: a small core tensor multiplied by one factor matrix per mode. */
    TUCKER,
    /** Tensor train (matrix product state; block-TT for tensorized matrices). */
    TT,
    /** No factorization: the dense weight. */
    DENSE
}
