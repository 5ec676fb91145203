package dev.strata.broker.network;

import io.netty.buffer.ByteBuf;

/**
 * One request frame (header and body, without the size prefix) and the bytes it holds of the broker's
 * {@link RequestBudget}, which the connection gives back once the request is answered.
 */
record RequestFrame(ByteBuf bytes, int reserved) {}
