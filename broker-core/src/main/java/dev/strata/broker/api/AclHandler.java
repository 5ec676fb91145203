package dev.strata.broker.api;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.security.AclStore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.CreateAclsResponseData.AclCreationResult;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsResponseData.DeleteAclsFilterResult;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;

/**
 * CreateAcls, DescribeAcls and DeleteAcls ({@code kafka-acls.sh}, {@code Admin.createAcls}...): the ACLs live in the
 * replicated metadata ({@link AclStore}). Creating or deleting needs ALTER on the cluster, listing DESCRIBE on it
 * (CLUSTER_AUTHORIZATION_FAILED otherwise); without an authorizer the broker answers SECURITY_DISABLED, as Kafka does.
 * An ACL Kafka would refuse (an ANY or UNKNOWN field, a MATCH pattern, a principal without a type, an empty name) gets
 * INVALID_REQUEST in its own result; a filter that matches nothing sensible too.
 */
public final class AclHandler {
    private final Permissions permissions;
    private final AclStore store;

    public AclHandler(Permissions permissions, AclStore store) {
        this.permissions = permissions;
        this.store = store;
    }

    public CreateAclsResponseData createAcls(RequestContext ctx, CreateAclsRequest request) {
        Errors denied = denied(ctx, AclOperation.ALTER);
        if (denied != null) {
            return (CreateAclsResponseData)
                    request.getErrorResponse(0, denied.exception()).data();
        }
        List<AclCreationResult> results = new ArrayList<>();
        Set<AclBinding> valid = new LinkedHashSet<>();
        request.data().creations().forEach(creation -> {
            AclBinding binding;
            try {
                binding = CreateAclsRequest.aclBinding(creation);
                validate(binding);
            } catch (IllegalArgumentException | ApiException e) {
                results.add(new AclCreationResult()
                        .setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage(e.getMessage()));
                return;
            }
            valid.add(binding);
            results.add(new AclCreationResult());
        });
        if (!valid.isEmpty()) {
            try {
                store.createAcls(valid);
            } catch (RuntimeException e) {
                ApiError error = ApiError.fromThrowable(e);
                results.replaceAll(r -> r.errorCode() != 0
                        ? r
                        : new AclCreationResult()
                                .setErrorCode(error.error().code())
                                .setErrorMessage(error.message()));
            }
        }
        return new CreateAclsResponseData().setResults(results);
    }

    public DescribeAclsResponseData describeAcls(RequestContext ctx, DescribeAclsRequest request) {
        Errors denied = denied(ctx, AclOperation.DESCRIBE);
        if (denied != null) {
            return (DescribeAclsResponseData)
                    request.getErrorResponse(0, denied.exception()).data();
        }
        AclBindingFilter filter = request.filter();
        if (filter.isUnknown()) {
            return new DescribeAclsResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("The filter has an unknown field: " + filter);
        }
        return new DescribeAclsResponseData()
                .setResources(DescribeAclsResponse.aclsResources(store.acls().matching(filter)));
    }

    public DeleteAclsResponseData deleteAcls(RequestContext ctx, DeleteAclsRequest request) {
        Errors denied = denied(ctx, AclOperation.ALTER);
        if (denied != null) {
            return (DeleteAclsResponseData)
                    request.getErrorResponse(0, denied.exception()).data();
        }
        List<DeleteAclsFilterResult> results = new ArrayList<>();
        Set<AclBinding> doomed = new LinkedHashSet<>();
        for (AclBindingFilter filter : request.filters()) {
            if (filter.isUnknown()) {
                results.add(new DeleteAclsFilterResult()
                        .setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("The filter has an unknown field: " + filter));
                continue;
            }
            List<AclBinding> matched = store.acls().matching(filter);
            doomed.addAll(matched);
            results.add(new DeleteAclsFilterResult()
                    .setMatchingAcls(matched.stream()
                            .map(b -> DeleteAclsResponse.matchingAcl(b, ApiError.NONE))
                            .toList()));
        }
        if (!doomed.isEmpty()) {
            try {
                store.deleteAcls(doomed);
            } catch (RuntimeException e) {
                ApiError error = ApiError.fromThrowable(e);
                results.replaceAll(r -> r.errorCode() != 0
                        ? r
                        : new DeleteAclsFilterResult()
                                .setErrorCode(error.error().code())
                                .setErrorMessage(error.message()));
            }
        }
        return new DeleteAclsResponseData().setFilterResults(results);
    }

    /** SECURITY_DISABLED without an authorizer, CLUSTER_AUTHORIZATION_FAILED without {@code op} on the cluster. */
    private Errors denied(RequestContext ctx, AclOperation op) {
        if (!permissions.enabled()) {
            return Errors.SECURITY_DISABLED;
        }
        return permissions.cluster(ctx, op) ? null : Errors.CLUSTER_AUTHORIZATION_FAILED;
    }

    /** Kafka's checks of a new ACL (its controller's {@code AclControlManager}). */
    static void validate(AclBinding binding) {
        PatternType pattern = binding.pattern().patternType();
        if (pattern != PatternType.LITERAL && pattern != PatternType.PREFIXED) {
            throw new InvalidRequestException("Invalid pattern type " + pattern);
        }
        ResourceType type = binding.pattern().resourceType();
        if (type == ResourceType.ANY || type == ResourceType.UNKNOWN) {
            throw new InvalidRequestException("Invalid resource type " + type);
        }
        AclOperation op = binding.entry().operation();
        if (op == AclOperation.ANY || op == AclOperation.UNKNOWN) {
            throw new InvalidRequestException("Invalid operation " + op);
        }
        AclPermissionType permission = binding.entry().permissionType();
        if (permission != AclPermissionType.ALLOW && permission != AclPermissionType.DENY) {
            throw new InvalidRequestException("Invalid permission type " + permission);
        }
        if (binding.pattern().name() == null || binding.pattern().name().isEmpty()) {
            throw new InvalidRequestException("Resource name should not be empty");
        }
        String principal = binding.entry().principal();
        if (principal == null || principal.indexOf(':') <= 0) {
            throw new InvalidRequestException("Could not parse principal from `" + principal
                    + "` (no colon is present separating the principal type from the principal name)");
        }
        if (binding.entry().host() == null || binding.entry().host().isEmpty()) {
            throw new InvalidRequestException("Invalid host: it must be an address or *");
        }
    }
}
