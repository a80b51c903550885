package io.isthmus.distribution;

import io.isthmus.core.BuildInfo;
import picocli.CommandLine.IVersionProvider;

/** {@code isthmus --version}: the build's version, then the JVM it runs on (what bug reports need). */
public final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {
            "isthmus " + BuildInfo.version(),
            "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                    + " (" + System.getProperty("java.vendor") + ")"};
    }
}
