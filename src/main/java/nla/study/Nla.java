package nla.study;

import nla.core.Reconstructor;
import nla.core.Verbalizer;

/**
 * One NLA pair as the studies use it.
 *
 * @param name a short label (e.g. {@code gemma}); used in keys, tables and figures
 * @param hash the checkpoints' identity for the manifest (see {@link RunDir#checkpointHash})
 */
public record Nla(String name, Verbalizer av, Reconstructor ar, String hash) {}
