package dev.strata.tiering;

import java.io.IOException;
import java.nio.file.Path;

/** {@link RemoteLogFileReadTest} with the broker's window of {@value LogFileReads#WINDOW_BYTES} bytes: whole segments. */
class RemoteLogFileReadWideWindowTest extends RemoteLogFileReadTest {

    @Override
    RemoteReadFixture fixture(Path dir) throws IOException {
        return new RemoteReadFixture(dir, LogFileReads.WINDOW_BYTES);
    }
}
