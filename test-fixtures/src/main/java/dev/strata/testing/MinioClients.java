package dev.strata.testing;

import io.minio.MinioClient;

/**
 * MinIO's S3 client, which tests use to look into a bucket independently of the AWS SDK that Strata's S3 backend is
 * built on.
 */
public final class MinioClients {

    private MinioClients() {}

    /** A client of the store at {@code endpoint} ({@code http://host:port}), in region us-east-1. */
    public static MinioClient of(String endpoint, String accessKey, String secretKey) {
        return MinioClient.builder()
                .endpoint(endpoint)
                .region("us-east-1")
                .credentials(accessKey, secretKey)
                .build();
    }

    /** A client of {@code s3}. */
    public static MinioClient of(S3ProxyEndpoint s3) {
        return of(s3.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY);
    }
}
