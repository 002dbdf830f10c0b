package workflows_test

import (
	"go.temporal.io/sdk/client"
)

func clientOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: "test"}
}
